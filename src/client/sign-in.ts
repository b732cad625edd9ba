/**
 * How the page signs in. Two sources, both optional (without either the page is anonymous, as before):
 * - `#token=<jwt>` (or `#room&token=<jwt>`) in the address: never sent to any server; taken out of the address
 *   bar at once and kept for this tab only (sessionStorage), until it expires. It cannot be refreshed.
 * - `--auth-token-url`: the page fetches it with the browser's cookies for that site, before every connection and
 *   again before the token expires, so a signed-in session stays signed in.
 */
import { tokenExpiry } from "parley-client";

const SESSION_KEY = "parley.token";
const FRAGMENT_TOKEN = /(^|&)token=([^&]*)/;

interface PageConfig {
  authTokenUrl: string | null;
  /** Parley's `--auth` mode: with `required`, an anonymous page cannot get in. */
  auth?: "off" | "optional" | "required";
}

const stored = (): string | null => {
  try {
    return sessionStorage.getItem(SESSION_KEY);
  } catch {
    return null;
  }
};

const store = (token: string | null): void => {
  try {
    if (token === null) sessionStorage.removeItem(SESSION_KEY);
    else sessionStorage.setItem(SESSION_KEY, token);
  } catch {
    // storage disabled: the token lives until the page is closed
  }
};

/** Takes `token=` out of the address's fragment (keeping the room part) and keeps it for this tab. */
export const takeFragmentToken = (): void => {
  const fragment = location.hash.slice(1);
  const found = FRAGMENT_TOKEN.exec(fragment);
  if (!found) return;
  const token = decodeURIComponent(found[2] ?? "");
  store(token || null);
  const rest = fragment.replace(FRAGMENT_TOKEN, "").replace(/^&/, "");
  history.replaceState(null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
};

let config: Promise<PageConfig> | undefined;

const pageConfig = (): Promise<PageConfig> => {
  config ??= fetch("/parley-config.json", { cache: "no-store" })
    .then((response) => (response.ok ? (response.json() as Promise<PageConfig>) : { authTokenUrl: null }))
    .catch(() => {
      config = undefined; // ask again with the next connection
      return { authTokenUrl: null };
    });
  return config;
};

/** The token the page last connected with ("" when anonymous): private rooms' files are fetched with it. */
let latest = "";
export const latestToken = (): string => latest;

/** Tells the person why the page is not signed in. */
export type Notice = (text: string) => void;

/**
 * The SDK's `getToken`: the fragment's token while it is valid, else the token URL's, else "" (anonymous).
 * A token URL answering 401/403 (nobody signed in to your app) also means anonymous; other failures reject,
 * and the SDK retries with backoff.
 */
export const pageToken = (notice: Notice) => {
  const get = tokenSource(notice);
  return async (): Promise<string> => {
    latest = await get();
    return latest;
  };
};

const tokenSource = (notice: Notice) => {
  // Said on every later try too: the banner shows the latest notice, and the reason must not vanish with a retry.
  let linkExpired = false;
  return async (): Promise<string> => {
    const kept = stored();
    if (kept) {
      const exp = tokenExpiry(kept);
      if (exp === undefined || exp * 1000 > Date.now()) return kept;
      store(null);
      linkExpired = true;
    }
    const expired = linkExpired ? "Your sign-in link has expired. " : "";
    const { authTokenUrl, auth } = await pageConfig();
    const anonymous = (): string => {
      const required = auth === "required";
      const what = !required
        ? "chatting anonymously"
        : authTokenUrl
          ? "this chat is for signed-in users; sign in, then reload"
          : // No token URL: there is nowhere on this server to sign in; only a link with a token gets in.
            "this chat is for signed-in users, and this server has no sign-in page (--auth-token-url); ask its administrator for a sign-in link (an address ending in #token=…)";
      notice(`${expired}Not signed in: ${what}.`);
      return "";
    };
    if (!authTokenUrl) return auth === "required" || expired ? anonymous() : "";
    const response = await fetch(authTokenUrl, { credentials: "include", cache: "no-store" });
    if (response.status === 401 || response.status === 403) return anonymous();
    if (!response.ok) throw new Error(`${authTokenUrl} answered ${response.status}`);
    const type = response.headers.get("Content-Type") ?? "";
    const token: unknown = type.includes("json") ? ((await response.json()) as { token?: unknown }).token : undefined;
    const text = typeof token === "string" ? token : type.includes("json") ? "" : (await response.text()).trim();
    if (!text) throw new Error(`${authTokenUrl} gave no token (JSON {"token": "…"} or the token as text)`);
    return text;
  };
};
