"""The desk: where each customer is (the company page) and what each role has to do (the home
page). Reads only; every read takes a fixed number of queries."""
