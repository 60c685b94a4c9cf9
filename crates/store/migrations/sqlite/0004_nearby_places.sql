-- Towns bordering where an item was taken (JSON array of names): a photo at the Eiffel Tower is
-- nearest to a suburb's centre but must be found as Paris.
ALTER TABLE annotations ADD COLUMN nearby TEXT;
