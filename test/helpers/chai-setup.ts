// test/helpers/chai-setup.ts: chai plugins shared by every test file.
import chai from 'chai';
import chaiAsPromised from 'chai-as-promised';

chai.use(chaiAsPromised);
