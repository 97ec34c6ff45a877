// node-oidc-provider configured as close to the OneNumber idp as reasonable: the benchmark peer.
//
//   PEER_PORT=9100 PEER_WORKERS=2 PEER_DATABASE_URL=postgresql://postgres@127.0.0.1:5433/peer node server.mjs
//
// - the confidential client `demo-verifier` / `demo-verifier-secret` (client_secret_basic) with the
//   client_credentials, refresh_token and authorization_code grants, and the public client `demo-rp`
//   (code + PKCE, refresh_token), like our seeded clients;
// - an ES256 signing key generated at start (shared by the workers), tokens carry `kid`;
// - client-credentials access tokens are ES256 JWTs for the resource `urn:onenumber:api` (resource
//   indicators), carrying `client_id`, `scope`, `party_type`, `department` like ours, 600 s lifetime;
// - refresh tokens rotate on every use (ours rotate too);
// - introspection (RFC 7662) and revocation (RFC 7009) enabled;
// - state in PostgreSQL through ./pg_adapter.mjs (ours keeps its state in PostgreSQL too);
// - PEER_WORKERS processes through node:cluster (ours: two uvicorn workers).
// Bench-only route on loopback: GET /bench/refresh-tokens?n=N&client=demo-rp mints N independent refresh-token families
// through the provider's own models (the peer has no login UI to script; see docs/BENCHMARKS.md).
import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

import { PgAdapter, SCHEMA, connect } from './pg_adapter.mjs';

const PORT = Number(process.env.PEER_PORT || 9100);
const WORKERS = Number(process.env.PEER_WORKERS || 2);
const DB = process.env.PEER_DATABASE_URL;
const ISSUER = process.env.PEER_ISSUER || `http://127.0.0.1:${PORT}`;
const RESOURCE = 'urn:onenumber:api';
const SCOPES = ['license:issue', 'license:read', 'license:verify'];
const DEPARTMENT = '11110000000137015K';

if (cluster.isPrimary) {
  if (!process.env.PEER_JWK) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: randomBytes(8).toString('hex') };
    process.env.PEER_JWK = JSON.stringify(jwk);
    process.env.PEER_COOKIE_KEY = randomBytes(32).toString('hex');
  }
  if (DB) {
    const pool = connect(DB, 1);
    await pool.query(SCHEMA);
    await pool.end();
  }
  const workers = DB ? WORKERS : 1; // the memory adapter cannot be shared between processes
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code) => {
    console.error(`peer worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
  const stop = () => {
    cluster.removeAllListeners('exit');
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  process.on('disconnect', () => process.exit(0)); // the primary went away
  if (DB) connect(DB, 10);
  const configuration = {
    ...(DB ? { adapter: PgAdapter } : {}),
    clients: [{
      client_id: 'demo-verifier',
      client_secret: 'demo-verifier-secret',
      grant_types: ['client_credentials', 'refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:3000/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
      scope: ['openid', 'offline_access', ...SCOPES].join(' '),
    }, {
      client_id: 'demo-rp',
      grant_types: ['refresh_token', 'authorization_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1:3000/cb'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
      scope: 'openid profile offline_access license:read',
    }],
    jwks: { keys: [JSON.parse(process.env.PEER_JWK)] },
    cookies: { keys: [process.env.PEER_COOKIE_KEY] },
    scopes: ['openid', 'offline_access', ...SCOPES],
    claims: { openid: ['sub'], profile: ['name'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, name: '张三' }) }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: SCOPES.join(' '),
          audience: RESOURCE,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
    extraTokenClaims: async (_ctx, token) => (
      token.kind === 'ClientCredentials' ? { party_type: 'client', department: DEPARTMENT } : undefined),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 600, ClientCredentials: 600, IdToken: 600, AuthorizationCode: 60,
      RefreshToken: 30 * 24 * 3600, Grant: 30 * 24 * 3600, Session: 24 * 3600, Interaction: 600,
    },
    pkce: { required: () => true },
  };
  const provider = new Provider(ISSUER, configuration);
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));

  async function mintRefreshTokens(n, clientId) {
    const client = await provider.Client.find(clientId);
    const out = [];
    for (let i = 0; i < n; i += 1) {
      const accountId = `bench-${randomBytes(6).toString('hex')}`;
      const grant = new provider.Grant({ accountId, clientId: client.clientId });
      grant.addOIDCScope('openid offline_access');
      grant.addResourceScope(RESOURCE, 'license:read');
      const grantId = await grant.save();
      const token = new provider.RefreshToken({
        client, accountId, grantId, scope: 'openid offline_access license:read', resource: RESOURCE, gty: 'authorization_code',
        authTime: Math.floor(Date.now() / 1000), iiat: Math.floor(Date.now() / 1000),
      });
      out.push(await token.save());
    }
    return out;
  }

  const callback = provider.callback();
  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/bench/refresh-tokens')) {
      const q = new URL(req.url, ISSUER).searchParams;
      const n = Math.min(Number(q.get('n') || 1), 5000);
      mintRefreshTokens(n, q.get('client') || 'demo-rp').then(
        (tokens) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(tokens)); },
        (err) => { res.statusCode = 500; res.end(String(err)); },
      );
      return;
    }
    callback(req, res);
  });
  server.keepAliveTimeout = 65000;
  server.listen(PORT, '127.0.0.1');
}
