// Drives a running OneNumber idp with the certified relying-party library openid-client (v6).
// Env: ISSUER, RECEIVER_PORT (back-channel logout receiver), RS_SECRET (secret of client interop-rs),
// TP_SECRET (secret of the third-party client interop-tp, redirect http://localhost:3002/cb).
// Prints one line per check and "ALL OK" at the end; exits non-zero on the first failure.
import http from 'node:http';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const ISSUER = process.env.ISSUER;
const RECEIVER_PORT = Number(process.env.RECEIVER_PORT);
const RS_SECRET = process.env.RS_SECRET;
const TP_SECRET = process.env.TP_SECRET;
const LI = { number: '110102199101010078', password: 'Lisi-2026' };
const insecure = { execute: [client.allowInsecureRequests] };
const ok = (name, detail = '') => console.log(`ok ${name}${detail ? ' — ' + detail : ''}`);

// ---- a tiny browser: cookie jar + manual redirects + form posts -------------------------------
const jar = new Map();
function storeCookies(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const [name, ...rest] = pair.split('=');
    const value = rest.join('=');
    const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
    if (expired || value === '' || value === '""') jar.delete(name.trim()); else jar.set(name.trim(), value);
  }
}
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
async function browse(url, init = {}) {
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } });
  storeCookies(res);
  return res;
}
const field = (html, name) => {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1].replace(/&amp;/g, '&').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>') : '';
};
async function postForm(path, data) {
  return browse(new URL(path, ISSUER), {
    method: 'POST', body: new URLSearchParams(data),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}
// Follow the idp's pages (login, organisation choice, consent) until it redirects to `callbackPrefix`.
async function driveToCallback(startUrl, callbackPrefix, passwordExpected = true) {
  let res = await browse(startUrl);
  let sawLogin = false;
  let consentPage = null;
  for (let i = 0; i < 12; i++) {
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), ISSUER);
      if (loc.href.startsWith(callbackPrefix)) return { url: loc, sawLogin, consentPage };
      res = await browse(loc);
      continue;
    }
    const html = await res.text();
    assert.equal(res.status, 200, `unexpected ${res.status}: ${html.slice(0, 300)}`);
    if (html.includes('action="/login"')) {
      sawLogin = true;
      res = await postForm('/login', { csrf: field(html, 'csrf'), number: LI.number, password: LI.password, next: field(html, 'next') });
    } else if (html.includes('action="/login/select"')) {
      res = await postForm('/login/select', { csrf: field(html, 'csrf'), delegation: '', next: field(html, 'next') });
    } else if (html.includes('action="/consent"')) {
      consentPage = html;
      res = await postForm('/consent', { csrf: field(html, 'csrf'), decision: 'allow', next: field(html, 'next') });
    } else {
      throw new Error(`unexpected page: ${html.slice(0, 300)}`);
    }
  }
  throw new Error('too many steps');
}

// ---- back-channel logout receiver (validates the logout token) --------------------------------
const logoutTokens = [];
const jwks = createRemoteJWKSet(new URL(`${ISSUER}/jwks.json`), { [Symbol.for('jose.allowInsecure')]: true });
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', async () => {
    try {
      const token = new URLSearchParams(body).get('logout_token');
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: ISSUER, audience: 'interop-rs', typ: 'logout+jwt', maxTokenAge: '2 minutes',
      });
      assert.ok(payload.jti && payload.iat && payload.sid, 'jti, iat, sid present');
      assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
      assert.equal(payload.nonce, undefined);
      logoutTokens.push({ payload, protectedHeader });
      res.writeHead(200); res.end();
    } catch (err) {
      console.error('receiver rejected logout token:', err);
      res.writeHead(400); res.end();
    }
  });
});
await new Promise((resolve) => receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve));

try {
  // 1. discovery (ES256 public client demo-rp)
  const rp = await client.discovery(new URL(ISSUER), 'demo-rp',
    { id_token_signed_response_alg: 'ES256' }, client.None(), insecure);
  assert.equal(rp.serverMetadata().issuer, ISSUER);
  assert.deepEqual(rp.serverMetadata().code_challenge_methods_supported, ['S256']);
  assert.deepEqual(rp.serverMetadata().subject_types_supported, ['public', 'pairwise']);
  ok('discovery');

  // 2. code + PKCE, ID token (ES256) validated by openid-client; userinfo
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const authUrl = client.buildAuthorizationUrl(rp, {
    redirect_uri: 'http://127.0.0.1:3000/cb', scope: 'openid profile id_number offline_access', state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const { url: cb, sawLogin } = await driveToCallback(authUrl, 'http://127.0.0.1:3000/cb');
  assert.ok(sawLogin);
  const tokens = await client.authorizationCodeGrant(rp, cb, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  const idClaims = tokens.claims();
  assert.equal(idClaims.name, '李四');
  assert.equal(idClaims.id_number, LI.number);
  ok('code+PKCE ES256', `sub ${idClaims.sub}, acr ${idClaims.acr}`);
  const info = await client.fetchUserInfo(rp, tokens.access_token, idClaims.sub);
  assert.equal(info.name, '李四');
  ok('userinfo');

  // 3. refresh rotation; within grace the same child; after it, reuse revokes the family
  const r1 = await client.refreshTokenGrant(rp, tokens.refresh_token);
  assert.notEqual(r1.refresh_token, tokens.refresh_token);
  const r2 = await client.refreshTokenGrant(rp, r1.refresh_token);
  ok('refresh rotation');
  await new Promise((r) => setTimeout(r, 11000));
  await assert.rejects(client.refreshTokenGrant(rp, r1.refresh_token), (e) => e.error === 'invalid_grant');
  await assert.rejects(client.refreshTokenGrant(rp, r2.refresh_token), (e) => e.error === 'invalid_grant');
  ok('refresh reuse after grace window revokes the family');

  // 4. RS256 confidential client: SSO (no password prompt), ID token RS256
  const rs = await client.discovery(new URL(ISSUER), 'interop-rs',
    { client_secret: RS_SECRET, id_token_signed_response_alg: 'RS256' }, client.ClientSecretBasic(RS_SECRET), insecure);
  const v2 = client.randomPKCECodeVerifier();
  const s2 = client.randomState();
  const url2 = client.buildAuthorizationUrl(rs, {
    redirect_uri: 'http://127.0.0.1:3001/cb', scope: 'openid profile', state: s2,
    code_challenge: await client.calculatePKCECodeChallenge(v2), code_challenge_method: 'S256',
  });
  const second = await driveToCallback(url2, 'http://127.0.0.1:3001/cb');
  assert.equal(second.sawLogin, false, 'SSO: no password prompt for the second client');
  const rsTokens = await client.authorizationCodeGrant(rs, second.url, { pkceCodeVerifier: v2, expectedState: s2 });
  // interop-rs is first party (public sub); demo-rp is a third party (pairwise sub of its sector, OIDC Core §8)
  assert.notEqual(rsTokens.claims().sub, idClaims.sub);
  ok('code+PKCE RS256 with SSO');

  // 5. client credentials
  const dept = await client.discovery(new URL(ISSUER), 'demo-verifier', 'demo-verifier-secret', undefined, insecure);
  const cc = await client.clientCredentialsGrant(dept, { scope: 'license:issue' });
  assert.equal(cc.scope, 'license:issue');
  ok('client credentials');

  // 5b. a third-party client of another sector: a consent screen naming it, then a pairwise sub of its own,
  //     the same in the ID token, userinfo and introspection, and again on the next authorization
  const tp = await client.discovery(new URL(ISSUER), 'interop-tp',
    { client_secret: TP_SECRET }, client.ClientSecretBasic(TP_SECRET), insecure);
  const tpLogin = async () => {
    const v = client.randomPKCECodeVerifier();
    const s = client.randomState();
    const n = client.randomNonce();
    const url = client.buildAuthorizationUrl(tp, {
      redirect_uri: 'http://localhost:3002/cb', scope: 'openid profile', state: s, nonce: n,
      code_challenge: await client.calculatePKCECodeChallenge(v), code_challenge_method: 'S256',
    });
    const done = await driveToCallback(url, 'http://localhost:3002/cb');
    const t = await client.authorizationCodeGrant(tp, done.url, { pkceCodeVerifier: v, expectedState: s, expectedNonce: n });
    return { ...done, tokens: t };
  };
  const tp1 = await tpLogin();
  assert.equal(tp1.sawLogin, false, 'SSO: no password prompt');
  assert.ok(tp1.consentPage && tp1.consentPage.includes('Interop third party'), 'a consent screen naming the client');
  assert.ok(tp1.consentPage.includes('该应用专用的账户标识'), 'the consent screen says the identifier is its own');
  const tpSub = tp1.tokens.claims().sub;
  assert.notEqual(tpSub, rsTokens.claims().sub, 'not the public sub');
  assert.notEqual(tpSub, idClaims.sub, 'not the sub of another sector');
  assert.equal(tp1.tokens.claims().name, '李四');
  const tpInfo = await client.fetchUserInfo(tp, tp1.tokens.access_token, tpSub);  // checks sub itself
  assert.equal(tpInfo.sub, tpSub);
  const tpSeen = await client.tokenIntrospection(dept, tp1.tokens.access_token);
  assert.equal(tpSeen.sub, tpSub);
  const tp2 = await tpLogin();
  assert.equal(tp2.consentPage, null, 'consent is remembered');
  assert.equal(tp2.tokens.claims().sub, tpSub, 'stable across logins');
  ok('third-party pairwise client', `sub ${tpSub.slice(0, 12)}…`);

  // 6. device flow: the kiosk asks, the logged-in browser confirms, the kiosk's poll gets tokens
  const kiosk = await client.discovery(new URL(ISSUER), 'demo-kiosk',
    { id_token_signed_response_alg: 'ES256' }, client.None(), insecure);
  const device = await client.initiateDeviceAuthorization(kiosk, { scope: 'openid profile' });
  const page = await browse(device.verification_uri_complete);
  const pageHtml = await page.text();
  const confirm = await postForm('/device', { csrf: field(pageHtml, 'csrf'), user_code: field(pageHtml, 'user_code'), decision: 'allow' });
  assert.equal(confirm.status, 200);
  const deviceTokens = await client.pollDeviceAuthorizationGrant(kiosk, device);
  assert.ok(deviceTokens.access_token);
  ok('device flow');

  // 7. introspection before and after revocation (revoked by its own public client)
  const live = await client.tokenIntrospection(dept, deviceTokens.access_token);
  assert.equal(live.active, true);
  assert.equal(live.client_id, 'demo-kiosk');
  await client.tokenRevocation(kiosk, deviceTokens.access_token);
  const dead = await client.tokenIntrospection(dept, deviceTokens.access_token);
  assert.equal(dead.active, false);
  ok('introspection before and after revocation');

  // 8. RP-initiated logout with id_token_hint; back-channel logout reaches the receiver
  const endUrl = client.buildEndSessionUrl(rs, {
    id_token_hint: rsTokens.id_token, post_logout_redirect_uri: 'http://127.0.0.1:3001/bye', state: 'bye-state',
  });
  const out = await browse(endUrl);
  assert.equal(out.status, 302);
  assert.equal(out.headers.get('location'), 'http://127.0.0.1:3001/bye?state=bye-state');
  ok('RP-initiated logout');
  for (let i = 0; i < 50 && logoutTokens.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(logoutTokens.length, 1, 'one back-channel logout token received');
  assert.equal(logoutTokens[0].payload.sid, rsTokens.claims().sid);
  ok('back-channel logout', `sid ${logoutTokens[0].payload.sid}, alg ${logoutTokens[0].protectedHeader.alg}`);
  await assert.rejects(client.fetchUserInfo(rp, r2.access_token, idClaims.sub));
  const after = await client.tokenIntrospection(dept, rsTokens.access_token);
  assert.equal(after.active, false);
  ok('tokens of the ended session are inactive');
  console.log('ALL OK');
} finally {
  receiver.close();
}
