# Times in lists and forms read like the rest of the portal: ISO order, with the offset.
DATETIME_FORMAT = "Y-m-d H:i O"
SHORT_DATETIME_FORMAT = "Y-m-d H:i O"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
