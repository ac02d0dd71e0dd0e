"""postdesk: a moderated publisher for an organisation's social-media account."""
