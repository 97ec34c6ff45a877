"""Pages of the idp: login, step-up, consent, device, sessions, registration, password reset."""
