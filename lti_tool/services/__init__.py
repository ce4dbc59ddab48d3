"""Business operations of the tool service, named ``<entity>_<action>`` with keyword-only arguments."""
