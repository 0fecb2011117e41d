/**
 * Which OCSF 1.3 class and activity an event becomes (docs/streams/formats.md#which-class). Decided
 * from the action's words (lower-cased, split at anything not a letter or digit: `User.Login`,
 * `user_login` and `user.login` are all `user`, `login`) and the category, by the first rule
 * that holds:
 *
 * 1. Account Change (3001): a word `password`; a word `mfa` with an enrol/remove verb; a word
 *    `role`/`roles`/`permission`/`group` with an attach/detach verb; or an action about a
 *    `user` or `account` (its first word) with an account verb (create, enable, disable,
 *    delete, lock, unlock, update …).
 * 2. Authentication (3002): category `auth`, or a word login, logon, logout, logoff, signin,
 *    signout, authenticate, sso or mfa.
 * 3. API Activity (6003): everything else, the activity from the last word (create, read,
 *    update, delete, else Other).
 */

export interface OcsfClass {
  class_uid: number;
  class_name: string;
  category_uid: number;
  category_name: string;
  activity_id: number;
  activity_name: string;
}

const OTHER = 99;

const IAM = { category_uid: 3, category_name: 'Identity & Access Management' } as const;
const APPLICATION = { category_uid: 6, category_name: 'Application Activity' } as const;

/** Account Change activities (OCSF 1.3 account_change.activity_id). */
const ACCOUNT_ACTIVITIES: Record<number, string> = {
  1: 'Create',
  2: 'Enable',
  3: 'Password Change',
  4: 'Password Reset',
  5: 'Disable',
  6: 'Delete',
  7: 'Attach Policy',
  8: 'Detach Policy',
  9: 'Lock',
  10: 'MFA Factor Enable',
  11: 'MFA Factor Disable',
  12: 'Unlock',
  [OTHER]: 'Other',
};
const AUTH_ACTIVITIES: Record<number, string> = { 1: 'Logon', 2: 'Logoff', [OTHER]: 'Other' };
const API_ACTIVITIES: Record<number, string> = {
  1: 'Create',
  2: 'Read',
  3: 'Update',
  4: 'Delete',
  [OTHER]: 'Other',
};

const words = (...list: string[]) => new Set(list);
const CREATE = words('create', 'created', 'add', 'added', 'insert', 'new', 'register', 'signup', 'invite');
const READ = words(
  'read',
  'get',
  'view',
  'viewed',
  'list',
  'search',
  'export',
  'exported',
  'download',
  'show',
);
const UPDATE = words(
  'update',
  'updated',
  'edit',
  'modify',
  'change',
  'changed',
  'set',
  'patch',
  'rename',
  'move',
);
const DELETE = words('delete', 'deleted', 'remove', 'removed', 'destroy', 'purge', 'erase');
const ENABLE = words('enable', 'enabled', 'activate', 'activated', 'reactivate', 'restore');
const DISABLE = words('disable', 'disabled', 'deactivate', 'deactivated', 'suspend', 'suspended', 'block');
const LOCK = words('lock', 'locked', 'lockout');
const UNLOCK = words('unlock', 'unlocked');
const ATTACH = words('assign', 'assigned', 'grant', 'granted', 'attach', 'add', 'added', 'join');
const DETACH = words('unassign', 'unassigned', 'revoke', 'revoked', 'detach', 'remove', 'removed', 'leave');
const ENROL = words(
  'enable',
  'enabled',
  'enroll',
  'enrol',
  'enrolled',
  'add',
  'added',
  'register',
  'activate',
);
const UNENROL = words('disable', 'disabled', 'unenroll', 'unenrol', 'remove', 'removed', 'delete', 'reset');
const LOGON = words('login', 'logon', 'signin', 'authenticate', 'sso');
const LOGOFF = words('logout', 'logoff', 'signout');
const AUTH = words(...LOGON, ...LOGOFF, 'mfa');
const POLICY = words('role', 'roles', 'permission', 'permissions', 'group', 'groups', 'policy');
const ACCOUNT_SUBJECT = words('user', 'users', 'account', 'accounts', 'member', 'members');

const account = (activity_id: number): OcsfClass => ({
  class_uid: 3001,
  class_name: 'Account Change',
  ...IAM,
  activity_id,
  activity_name: ACCOUNT_ACTIVITIES[activity_id] ?? 'Other',
});

/** The Account Change activity an action's words name, or null when it is not one. */
function accountActivity(w: string[], verb: string): number | null {
  if (w.includes('password')) return verb === 'reset' || w.includes('reset') ? 4 : 3;
  if (w.includes('mfa')) return ENROL.has(verb) ? 10 : UNENROL.has(verb) ? 11 : null;
  if (w.some((x) => POLICY.has(x))) {
    if (ATTACH.has(verb)) return 7;
    if (DETACH.has(verb)) return 8;
  }
  if (!ACCOUNT_SUBJECT.has(w[0] ?? '') || w.length < 2) return null;
  if (CREATE.has(verb)) return 1;
  if (ENABLE.has(verb)) return 2;
  if (DISABLE.has(verb)) return 5;
  if (DELETE.has(verb)) return 6;
  if (LOCK.has(verb)) return 9;
  if (UNLOCK.has(verb)) return 12;
  if (UPDATE.has(verb)) return OTHER;
  return null;
}

export function ocsfClassOf(action: string, category: string | undefined): OcsfClass {
  const w = action
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const verb = w.at(-1) ?? '';
  const accountId = accountActivity(w, verb);
  if (accountId !== null) return account(accountId);
  if (category === 'auth' || w.some((x) => AUTH.has(x))) {
    const activity_id = w.some((x) => LOGOFF.has(x)) ? 2 : w.some((x) => LOGON.has(x)) ? 1 : OTHER;
    return {
      class_uid: 3002,
      class_name: 'Authentication',
      ...IAM,
      activity_id,
      activity_name: AUTH_ACTIVITIES[activity_id] ?? 'Other',
    };
  }
  const activity_id = CREATE.has(verb)
    ? 1
    : READ.has(verb)
      ? 2
      : UPDATE.has(verb)
        ? 3
        : DELETE.has(verb)
          ? 4
          : OTHER;
  return {
    class_uid: 6003,
    class_name: 'API Activity',
    ...APPLICATION,
    activity_id,
    activity_name: API_ACTIVITIES[activity_id] ?? 'Other',
  };
}
