"""Who is asking: user identities, authentication of bearer tokens and impersonation."""

from chainsaw_py.embedded.auth.identity import ADMIN, LOOPBACK, UserInfo, acting_as, current_user

__all__ = ["ADMIN", "LOOPBACK", "UserInfo", "acting_as", "current_user"]
