// Registers toHaveReceivedCommandWith & co. (and their types) for every test file.
import 'aws-sdk-client-mock-vitest/extend';
