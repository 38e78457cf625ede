from libs.common.migrations import run_env
from services.postmortem.adapters.orm import metadata

run_env(metadata)
