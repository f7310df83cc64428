-- Webhooks' Standard Webhooks signing keys are kept sealed (issue 23), as the OpenID client secret
-- is (0023): the service stores the bytes of `sealed:v1:` followed by an AES-256-GCM box (nonce,
-- ciphertext, tag) under a key from its environment (MOBILISE_SECRETS_KEY, else
-- MOBILISE_JWT_SECRET), so the database, its backups and replicas hold no key that signs.
-- A 64-byte key takes 102 bytes sealed.
--
-- The key that seals is not in the database, so this migration cannot seal the keys saved before
-- it: the service does, at startup, right after migrating (StoredSecrets.seal), replacing each
-- plain key only if it is still the one it read. Until then a plain key is used as it is.
ALTER TABLE outbound_endpoints DROP CONSTRAINT outbound_endpoints_secret_check;
ALTER TABLE outbound_endpoints ADD CONSTRAINT outbound_endpoints_secret_check
    CHECK (secret IS NULL OR length(secret) BETWEEN 24 AND 200);
COMMENT ON COLUMN outbound_endpoints.secret IS
    'The Standard Webhooks signing key, sealed (sealed:v1: + AES-256-GCM box; 0031); plain only if saved before 0031 and the service has not started since';
