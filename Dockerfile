# Jiangmen industry search: the web app with the bundled corpus's index built in.
# The steps are the project's own scripts (scripts/install.sh, python -m index build), the same
# ones `make run` and CI use; tests/test_dockerfile.py checks that they exist and stay in step.
FROM python:3.11-slim

# PyTorch's CPU-only wheel index: PyPI's Linux torch is the multi-GB CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VENV=/opt/venv \
    DATA_DIR=/data \
    CORPUS_DIR=/app/corpus

RUN useradd --create-home --uid 10001 app && mkdir -p /data && chown app:app /data
WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.txt requirements.lock ./
COPY scripts/install.sh scripts/install.sh
RUN TORCH_INDEX_URL="$TORCH_INDEX_URL" scripts/install.sh
ENV PATH=/opt/venv/bin:$PATH

COPY index index
COPY webapp webapp
COPY corpus corpus

# The converted model and the bundled corpus's index, built once into the image.
USER app
RUN python -m index build --quiet

VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["python", "-m", "webapp", "--host", "0.0.0.0", "--port", "8000"]
