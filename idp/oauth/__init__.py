"""OpenID Connect provider built on authlib: one module per protocol."""
