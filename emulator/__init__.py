"""Parley's local stand-in for API Gateway (HTTP and WebSocket APIs) and Lambda.

``parley dev`` reads ``template.yaml``, starts (or connects to) the AWS store, creates the
template's tables, and serves the template's routes by invoking the handlers it names in worker
processes, one event at a time per worker, as Lambda does.
"""
