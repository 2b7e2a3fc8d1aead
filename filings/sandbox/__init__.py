"""The built-in sandbox: a stand-in Volcengine VMS endpoint for development and tests only.

portal/settings.py installs this app only when DEBUG and VOLC_SANDBOX_ENABLED are both on, and
portal/urls.py routes /sandbox/ only when the app is installed. Production code never imports it.
"""
