// A real OpenID provider for Parley's tests: panva's certified oidc-provider, on an ephemeral
// loopback port. Prints one JSON line {"issuer": ...} once it listens; stops on SIGTERM.
//
// Accounts: any login name signs in (the provider's development login form takes any name and
// password); the account's email is <name>@example.com, verified unless the name starts with
// "unverified". The only client is Parley: client_id "parley", secret "parley-test-secret",
// redirect URIs from $REDIRECT_URIS (comma-separated), PKCE required. REDIRECT_URIS=stdin: they
// are the first line read from stdin after the issuer is printed (for a Parley whose URL is only
// known once it is started with this issuer), and {"ready": true} is printed once it answers.
import http from 'node:http';
import readline from 'node:readline';
import Provider from 'oidc-provider';

async function redirectUris() {
  let text = process.env.REDIRECT_URIS || '';
  if (text === 'stdin') {
    const lines = readline.createInterface({ input: process.stdin });
    text = await new Promise((resolve) => lines.once('line', resolve));
    lines.close();
  }
  const uris = text.split(',').filter(Boolean);
  if (uris.length === 0) {
    console.error('REDIRECT_URIS is required');
    process.exit(2);
  }
  return uris;
}

if (!process.env.REDIRECT_URIS) {
  console.error('REDIRECT_URIS is required');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'parley',
        client_secret: 'parley-test-secret',
        redirect_uris: await redirectUris(),
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
    },
    async findAccount(ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            email: `${id}@example.com`,
            email_verified: !id.startsWith('unverified'),
            preferred_username: id,
            name: id,
          };
        },
      };
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['parley-test-only-cookie-key'] },
  });
  server.on('request', provider.callback());
  // With REDIRECT_URIS=stdin, a second line says the provider now answers.
  if (process.env.REDIRECT_URIS === 'stdin') {
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
