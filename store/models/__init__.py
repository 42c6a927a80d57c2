"""The relational models, one per module; importing this package registers them all."""

from store.models.api_key import ApiKey
from store.models.audit_log import AuditLog
from store.models.conversation import Conversation, ConversationStatus
from store.models.deleted_thread import DeletedThread
from store.models.document import Document
from store.models.hook_event import HookCursor, HookDeadLetter, HookEvent
from store.models.login_throttle import LoginThrottle
from store.models.message import Message
from store.models.registry import RegistryEntry
from store.models.resource_owner import ResourceOwner
from store.models.user import User

__all__ = [
    "ApiKey",
    "AuditLog",
    "Conversation",
    "ConversationStatus",
    "DeletedThread",
    "Document",
    "HookCursor",
    "HookDeadLetter",
    "HookEvent",
    "LoginThrottle",
    "Message",
    "RegistryEntry",
    "ResourceOwner",
    "User",
]
