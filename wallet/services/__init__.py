"""Service items (事项目录), their guides (服务指南) and the working-day calendar."""

from wallet.services.models import CalendarDay, ServiceItem, ServiceRequirement

__all__ = ["CalendarDay", "ServiceItem", "ServiceRequirement"]
