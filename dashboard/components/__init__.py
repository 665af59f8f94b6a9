"""Parts that several pages draw: a forecast, a history, a kindergarten card, the notice shown while nothing is published."""
