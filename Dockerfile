# One image for the API and the workers, with the default model inside.
#   docker build -t vitrine .
#   docker run -p 8000:8000 vitrine                 # API (embedded store, embedded worker)
#   docker run vitrine vitrine worker               # a worker (with QDRANT_URL and VITRINE_REDIS_URL)
FROM python:3.11-slim AS build
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The CPU build of torch keeps the image around 1 GB (the default CUDA build is several GB).
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.14.1 torchvision==0.29.1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY errors.py errors.py
COPY lazy.py lazy.py
COPY settings settings
COPY encoder encoder
COPY indexer indexer
COPY api api
COPY workers workers
COPY cli cli
COPY benchmarks benchmarks
RUN pip install . && python -c "from encoder import resolve_spec; resolve_spec('default')"

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 vitrine && mkdir -p /data/media && chown -R vitrine /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    VITRINE_DATA_DIR=/data \
    VITRINE_MEDIA_DIR=/data/media
USER vitrine
WORKDIR /home/vitrine
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"
CMD ["vitrine", "serve", "--host", "0.0.0.0", "--port", "8000"]
