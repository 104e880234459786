// The anchor of the grants benchmark: npm oidc-provider issuing access tokens by the OAuth 2.0
// client credentials grant, on a loopback port given as argv[2]. One client, bench /
// <argv[3]> (client_secret_basic). Prints "listening <port>" once it accepts connections.
// Started and stopped by bench/access/access_bench.cpp (grants mode).
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const secret = process.argv[3];
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'bench',
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
});
// oidc-provider logs every request at this rate otherwise.
provider.on('server_error', (ctx, err) => { console.error(err); });
const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
