import type { Facet } from './query.js';

/** Services → target types → actions, each level sorted. */
export type ServiceMap = { service: string; targetTypes: { type: string; actions: string[] }[] }[];

/**
 * Groups distinct (service, target type, action) facets into a tree. A facet without a service
 * or a target type has no place to hang in it and is left out.
 */
export function serviceMap(facets: Facet[]): ServiceMap {
  const services = new Map<string, Map<string, Set<string>>>();
  for (const f of facets) {
    if (f.service === null || f.target_type === null) continue;
    const types = services.get(f.service) ?? new Map<string, Set<string>>();
    services.set(f.service, types);
    const actions = types.get(f.target_type) ?? new Set<string>();
    types.set(f.target_type, actions);
    actions.add(f.action);
  }
  const sorted = <T>(keys: Iterable<T>) => [...keys].sort();
  return sorted(services.keys()).map((service) => {
    const types = services.get(service) as Map<string, Set<string>>;
    return {
      service,
      targetTypes: sorted(types.keys()).map((type) => ({
        type,
        actions: sorted(types.get(type) as Set<string>),
      })),
    };
  });
}
