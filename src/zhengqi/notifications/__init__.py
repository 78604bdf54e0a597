"""Notifications (通知中心): what happened that a user should know, in the app, by e-mail, in the
morning digest or on a region's 企业微信 group robot; and the schedules the built-in scheduler runs."""
