# One image for every Firebreak service and process kind. The entrypoint is the `firebreak` command:
#   docker run IMAGE serve <service> api|consumer|relay|scheduler   one process of one service
#   docker run IMAGE migrate --service <service>                    migrations and queues (a Helm hook job)
#   docker run -p 8080:8080 IMAGE                                   embedded mode: everything, SQLite in /var/lib/firebreak
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Build stage: a virtualenv with Firebreak and its dependencies (all of them ship wheels: no compiler needed).
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/firebreak
WORKDIR /src
COPY pyproject.toml ./
COPY libs ./libs
COPY services ./services
COPY firebreak ./firebreak
RUN /opt/firebreak/bin/pip install --no-cache-dir . \
    && /opt/firebreak/bin/pip uninstall --yes pip

# Final stage: the virtualenv and a non-root user, nothing else.
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/firebreak/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FIREBREAK_DATA_DIR=/var/lib/firebreak \
    FIREBREAK_WORKER_TMP_DIR=/dev/shm
RUN groupadd --system --gid 10001 firebreak \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /var/lib/firebreak \
       --shell /usr/sbin/nologin firebreak \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/firebreak
COPY --from=build /opt/firebreak /opt/firebreak
USER 10001:10001
WORKDIR /var/lib/firebreak
EXPOSE 8080
ENTRYPOINT ["/opt/firebreak/bin/firebreak"]
CMD ["run", "--host", "0.0.0.0"]
