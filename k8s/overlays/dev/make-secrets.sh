#!/usr/bin/env bash
# Prints a secrets.env for the dev overlay: a random password for the in-cluster PostgreSQL
# (k8s/components/dev-postgres), the three database URLs pointing at it, random keys where the
# services need one, and every other key of k8s/secret.template.env left empty (unsigned
# webhooks in development mode, rate limits in memory, the offline answerer, no Sentry).
#   k8s/overlays/dev/make-secrets.sh > secrets.env     # outside git
set -euo pipefail
random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }   # hex: safe inside a URL
fernet() { head -c32 /dev/urandom | base64 | tr '+/' '-_'; }  # a Fernet key: 32 bytes, url-safe
password=$(random)
url="postgresql://collegebot:${password}@postgres:5432/collegebot"
cat <<END
POSTGRES_PASSWORD=${password}
DATABASE_URL=${url}
MIGRATION_DATABASE_URL=${url}
DASHBOARD_DATABASE_URL=${url}
REDIS_URL=
TWILIO_AUTH_TOKEN=
SENDER_HASH_KEY=$(random)
NUMBER_ENCRYPTION_KEYS=$(fernet)
TWILIO_ACCOUNT_SID=
DASHBOARD_PASSWORD=$(random)
DASHBOARD_SECRET_KEY=$(random)
GROQ_API_KEY=
OPENAI_API_KEY=
SENTRY_DSN=
END
