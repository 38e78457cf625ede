from libs.common.migrations import run_env
from services.incident.adapters.orm import metadata

run_env(metadata)
