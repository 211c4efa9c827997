// A real OpenID Connect provider (panva/oidc-provider) for the sign-in tests: one static
// client, PKCE required, the built-in login and consent forms (any name and password).
// Usage: node provider.mjs PORT REDIRECT_URI  (prints "ready" once listening)
import Provider from "oidc-provider";

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "cloudping",
      client_secret: "lab-client-secret",
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["lab-cookie-key"] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: `${sub}@lab.example`, email_verified: true, name: `Person ${sub}` };
      },
    };
  },
});
provider.listen(Number(port), "127.0.0.1", () => console.log("ready"));
