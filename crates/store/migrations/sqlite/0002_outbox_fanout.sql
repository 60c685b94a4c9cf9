-- Fan each new event out to its topic's subscribers inside the inserting statement: one
-- statement per event on the hot write path instead of two.
CREATE TRIGGER outbox_fanout AFTER INSERT ON outbox
BEGIN
    INSERT INTO deliveries (event_id, consumer, available_at)
    SELECT NEW.id, consumer, NEW.created_at FROM subscriptions WHERE topic = NEW.topic;
END;
