from libs.common.migrations import run_env
from services.escalation.adapters.orm import metadata

run_env(metadata)
