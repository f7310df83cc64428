-- The OpenID client secret is kept sealed (issue 21): the service stores `sealed:v1:` and the base64
-- of an AES-256-GCM box (nonce, ciphertext, tag) under a key from its environment
-- (MOBILISE_SECRETS_KEY, else MOBILISE_JWT_SECRET), so the database never holds it in plain text.
-- A 500-character secret takes about 700 characters sealed. Secrets saved before this migration
-- stay as they were (the key is not in the database) and are sealed when the settings are saved
-- again.
ALTER TABLE sso_providers DROP CONSTRAINT sso_providers_client_secret_check;
ALTER TABLE sso_providers ADD CONSTRAINT sso_providers_client_secret_check CHECK (length(client_secret) BETWEEN 1 AND 1000);
