"""Generated gRPC stubs for the collegebot.v1 contract (`make proto`); do not edit."""
