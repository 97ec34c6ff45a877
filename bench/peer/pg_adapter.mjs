// A PostgreSQL adapter for node-oidc-provider, so that the peer persists grants, refresh tokens and
// opaque access tokens in the same database server as ours (the default MemoryAdapter would not be a
// fair comparison, and it cannot be shared by two worker processes).
// Interface: https://github.com/panva/node-oidc-provider/blob/main/example/my_adapter.js
import pg from 'pg';

const grantable = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest',
]);

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_payload (
  id text NOT NULL,
  model text NOT NULL,
  payload jsonb NOT NULL,
  grant_id text,
  user_code text,
  uid text,
  expires_at timestamptz,
  consumed_at timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_payload_grant ON oidc_payload (grant_id);
CREATE INDEX IF NOT EXISTS oidc_payload_uid ON oidc_payload (uid);
CREATE INDEX IF NOT EXISTS oidc_payload_user_code ON oidc_payload (user_code);
`;

let pool;

export function connect(connectionString, max = 10) {
  pool = new pg.Pool({ connectionString, max });
  return pool;
}

export class PgAdapter {
  constructor(model) {
    this.model = model;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    await pool.query(
      `INSERT INTO oidc_payload (id, model, payload, grant_id, user_code, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at`,
      [id, this.model, payload, grantable.has(this.model) ? payload.grantId ?? null : null,
        payload.userCode ?? null, payload.uid ?? null, expiresAt],
    );
  }

  async #findWhere(column, value) {
    const { rows } = await pool.query(
      `SELECT payload, consumed_at FROM oidc_payload
       WHERE model = $1 AND ${column} = $2 AND (expires_at IS NULL OR expires_at > now())`,
      [this.model, value],
    );
    if (!rows.length) return undefined;
    const { payload, consumed_at: consumedAt } = rows[0];
    return consumedAt ? { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) } : payload;
  }

  find(id) { return this.#findWhere('id', id); }

  findByUid(uid) { return this.#findWhere('uid', uid); }

  findByUserCode(userCode) { return this.#findWhere('user_code', userCode); }

  async consume(id) {
    await pool.query('UPDATE oidc_payload SET consumed_at = now() WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async destroy(id) {
    await pool.query('DELETE FROM oidc_payload WHERE model = $1 AND id = $2', [this.model, id]);
  }

  async revokeByGrantId(grantId) {
    await pool.query('DELETE FROM oidc_payload WHERE grant_id = $1', [grantId]);
  }
}
