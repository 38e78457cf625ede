"""The incident service's tables."""

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table

from libs.common.tables import define_bus_tables

metadata = MetaData()
bus = define_bus_tables(metadata)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("priority", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("team", String(100), index=True),
    Column("private", Boolean, nullable=False, default=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("sequence", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)
