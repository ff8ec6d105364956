import type { Principal } from './api/types.js';

/** Who is signed in (set once `/api/me` answers): pages show actions by role. The server checks every one. */
let signedIn: Principal | undefined;

export const rememberPrincipal = (principal: Principal) => {
  signedIn = principal;
};
export const principal = () => signedIn;
export const isSupervisor = () => signedIn?.role === 'supervisor';
