# csrb-auditor in a container: the tool alone (no simulators), run as a non-root user.
#   docker build -t csrb-auditor .
#   docker run --rm -v "$PWD:/work" -w /work csrb-auditor audit -c audit.toml -o report.json
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin auditor

COPY --chown=root:root . /src
RUN pip install /src && rm -rf /src

USER auditor
WORKDIR /home/auditor
ENTRYPOINT ["csrb-auditor"]
CMD ["--help"]
