'use strict'
// The generated binding, named in one place. index.js loads it first, so that a missing addon
// is explained before anything here needs it.
module.exports = require('../binding.js')
