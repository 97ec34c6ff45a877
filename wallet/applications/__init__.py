"""One-number applications (一号申请): submit, accept, route, review, deliver, rate, book."""

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

__all__ = [
    "Application",
    "ApplicationEvent",
    "ApplicationMaterial",
    "ApplicationTask",
    "Appointment",
    "AppointmentSlot",
    "Complaint",
    "Document",
    "Rating",
    "Result",
    "Review",
    "SerialCounter",
    "ServiceCentre",
]
