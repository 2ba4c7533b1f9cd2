-- Issue 16, item 4: an error group that reaches its threshold opens a ticket
-- whose requester gets the "error detected" email and whose admins get an
-- in-app notice (NotificationKind::ErrorDetected). Wider than the old check,
-- so existing values pass; `not valid` for the reason given in
-- 20261204000001_sla_warnings.sql (an array column uses the domain).
alter domain notification_kind drop constraint notification_kind_check;
alter domain notification_kind add constraint notification_kind_check check (value in (
    'ticket_created', 'ticket_assigned', 'agent_replied', 'requester_replied',
    'ticket_resolved', 'ticket_closed', 'ticket_escalated',
    'sla_warning', 'sla_breached', 'error_detected'
)) not valid;
insert into notification_defaults (kind, email, in_app) values ('error_detected', true, true);
