"""A protocol-faithful Shopify stand-in: Admin GraphQL with cost throttling, signed webhooks with Shopify's
delivery behaviour, and a control API under ``/_sandbox/``. See docs/sandboxes-shopify.md."""
