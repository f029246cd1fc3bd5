// A real OpenID provider for Parley's tests: panva's certified oidc-provider, on an ephemeral
// loopback port. Prints one JSON line {"issuer": ...} once it listens; stops on SIGTERM.
//
// Accounts: any login name signs in (the provider's development login form takes any name and
// password); the account's email is <name>@example.com, verified unless the name starts with
// "unverified". The only client is Parley: client_id "parley", secret "parley-test-secret",
// redirect URIs from $REDIRECT_URIS (comma-separated), PKCE required.
import http from 'node:http';
import Provider from 'oidc-provider';

const redirectUris = (process.env.REDIRECT_URIS || '').split(',').filter(Boolean);
if (redirectUris.length === 0) {
  console.error('REDIRECT_URIS is required');
  process.exit(2);
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'parley',
        client_secret: 'parley-test-secret',
        redirect_uris: redirectUris,
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
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
