from libs.common.migrations import run_env
from services.sla.adapters.orm import metadata

run_env(metadata)
