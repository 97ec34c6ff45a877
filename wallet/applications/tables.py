"""Every table of the services and applications domains, for ``wallet/models.py`` to import."""

from wallet.applications.models import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationTask,
    Appointment,
    AppointmentSlot,
    Complaint,
    Document,
    Rating,
    Result,
    Review,
    SerialCounter,
    ServiceCentre,
)
from wallet.services.models import CalendarDay, ServiceItem, ServiceRequirement

__all__ = [
    "Application",
    "ApplicationEvent",
    "ApplicationMaterial",
    "ApplicationTask",
    "Appointment",
    "AppointmentSlot",
    "CalendarDay",
    "Complaint",
    "Document",
    "Rating",
    "Result",
    "Review",
    "SerialCounter",
    "ServiceCentre",
    "ServiceItem",
    "ServiceRequirement",
]
