"""Follow an address or a district: e-mail subscriptions with double opt-in, notifications, Atom feeds.

- ``services``: ask to follow, confirm, unsubscribe, the daily prune (writes).
- ``selectors``: who follows what a change set touches, what a feed shows (reads).
- ``presentation``: change rows and district summaries in words (no queries).
- ``mails``: the messages, rendered in the subscriber's language and queued through geoportal.mail.
- ``feeds``: Atom feeds per address and district (Django's syndication framework).

Notifications are started by rollout.tasks.changeset_announce through residents.notifications.changeset_notify,
once per change set of the public availability table: nothing unpublished can reach a subscriber.
"""
