//! Read models for the UI and CLI (filled in with the queries issue work).
