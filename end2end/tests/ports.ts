// The e2e servers' ports: GUICHET_E2E_PORT (default 3100) for the first
// instance, the next port for the second, the one after for live.spec.ts's
// proxy in front of the first (a trusted origin of the first instance).

export const FIRST_PORT = Number(process.env.GUICHET_E2E_PORT || 3100);
export const SECOND_PORT = FIRST_PORT + 1;
export const PROXY_PORT = FIRST_PORT + 2;
