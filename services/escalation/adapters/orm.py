"""The escalation service's tables."""

from sqlalchemy import MetaData

from libs.common.projection import define_incident_projection
from libs.common.tables import define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)
known_incidents = define_incident_projection(metadata)
