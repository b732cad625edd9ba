// Your application's side of signing in to Parley: after your own login, mint a short-lived token for the user.
// Run it:   PARLEY_AUTH_SECRET=<the secret Parley has> node --import tsx examples/auth-backend.ts
// and Parley with the same secret, pointing its page here:
//           PARLEY_AUTH_SECRET=<same> npm start -- --auth-token-url http://localhost:3000/token
// Then open http://localhost:3000/login?name=alice (a stand-in for your login), and http://localhost:8080/.
// Settings: PORT (3000), PARLEY_ORIGIN (http://localhost:8080: the Parley page allowed to fetch tokens).
import { createServer, type ServerResponse } from "node:http";
import { SignJWT } from "jose";

if (Buffer.byteLength(process.env.PARLEY_AUTH_SECRET ?? "") < 32) {
  console.error("Set PARLEY_AUTH_SECRET to the secret Parley is given (at least 32 bytes).");
  process.exit(2);
}
const secret = new TextEncoder().encode(process.env.PARLEY_AUTH_SECRET);
const parleyOrigin = process.env.PARLEY_ORIGIN ?? "http://localhost:8080";

// The few lines that matter: who the user is, their display name, the private rooms they may enter, and a short life.
// Parley's page (or the SDK's getToken) asks again before it expires.
const parleyToken = (user: { id: string; name: string; rooms: string[] }): Promise<string> =>
  new SignJWT({ name: user.name, rooms: user.rooms })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.id)
    .setExpirationTime("10m")
    .sign(secret);

// A stand-in for your app's session: the name from a cookie set by /login?name=…
const NAME = /^[\p{L}\p{N}._ -]{1,32}$/u;
const signedInName = (cookie: string | undefined): string | undefined => {
  const value = /(?:^|;\s*)demo_user=([^;]*)/.exec(cookie ?? "")?.[1];
  const name = value === undefined ? undefined : decodeURIComponent(value);
  return name && NAME.test(name) ? name : undefined;
};

const reply = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(`${JSON.stringify(body)}\n`);
};

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://backend");
  // Only Parley's page may read tokens, with the user's cookies (credentials: "include").
  res.setHeader("Access-Control-Allow-Origin", parleyOrigin);
  res.setHeader("Access-Control-Allow-Credentials", "true");
  res.setHeader("Vary", "Origin");
  if (url.pathname === "/login") {
    const name = url.searchParams.get("name") ?? "";
    if (!NAME.test(name)) return reply(res, 400, { error: "name: 1-32 letters, digits, . _ - or spaces" });
    res.setHeader("Set-Cookie", `demo_user=${encodeURIComponent(name)}; Path=/; HttpOnly; SameSite=Lax`);
    return reply(res, 200, { signedIn: name });
  }
  if (url.pathname === "/token") {
    const name = signedInName(req.headers.cookie);
    if (!name) return reply(res, 401, { error: "not signed in" });
    parleyToken({ id: `demo:${name.toLowerCase()}`, name, rooms: ["team"] }).then(
      (token) => reply(res, 200, { token }),
      (error: Error) => reply(res, 500, { error: error.message }),
    );
    return;
  }
  reply(res, 404, { error: "GET /login?name=… or /token" });
});

server.listen(Number(process.env.PORT ?? 3000), () => {
  const address = server.address();
  console.log(`auth backend on port ${typeof address === "object" && address ? address.port : "?"}`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => server.close(() => process.exit(0)));
