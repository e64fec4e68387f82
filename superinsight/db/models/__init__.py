"""All tables, imported together so the metadata alembic compares is always complete."""

from superinsight.db.models.business import (
    BusinessInsight,
    BusinessLogicAnalysisHistory,
    BusinessLogicNotification,
    BusinessPattern,
    BusinessRule,
    BusinessRuleApplication,
    BusinessRuleVersion,
    DataMaskingRule,
    DataQualityScore,
    IndustryDataset,
    NotificationReceipt,
)
from superinsight.db.models.core import Annotation, AuditLog, BillingRecord, Document, QualityIssue, Task
from superinsight.db.models.graph import GraphEdge, GraphNode
from superinsight.db.models.labeling import LabelingProject, LabelingProjectMember
from superinsight.db.models.security import (
    IpWhitelist,
    Permission,
    ProjectPermission,
    Role,
    User,
    UserSession,
)
from superinsight.db.models.sync import (
    DataConflict,
    DataSource,
    SyncAuditLog,
    SyncExecution,
    SyncJob,
    SyncRule,
    TransformationRule,
)

__all__ = [
    "Annotation",
    "AuditLog",
    "BillingRecord",
    "BusinessInsight",
    "BusinessLogicAnalysisHistory",
    "BusinessLogicNotification",
    "BusinessPattern",
    "BusinessRule",
    "BusinessRuleApplication",
    "BusinessRuleVersion",
    "DataConflict",
    "DataMaskingRule",
    "DataQualityScore",
    "DataSource",
    "Document",
    "GraphEdge",
    "GraphNode",
    "IndustryDataset",
    "IpWhitelist",
    "LabelingProject",
    "LabelingProjectMember",
    "NotificationReceipt",
    "Permission",
    "ProjectPermission",
    "QualityIssue",
    "Role",
    "SyncAuditLog",
    "SyncExecution",
    "SyncJob",
    "SyncRule",
    "Task",
    "TransformationRule",
    "User",
    "UserSession",
]
