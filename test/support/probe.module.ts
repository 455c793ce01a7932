import { Public } from '@orderops/access';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export class ProbeEchoDto {
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  name!: string;

  @IsInt()
  @Min(1)
  @Max(10)
  count!: number;
}

/**
 * Routes that exist only in tests, to drive the shared HTTP pipeline (body limits,
 * validation, unexpected errors) before feature modules bring real ones.
 */
@Public()
@Controller('probe')
export class ProbeController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeEchoDto): { label: string; count: number } {
    // Not `name`: the masking backstop would mask it, as on every response.
    return { label: body.name, count: body.count };
  }

  /** A handler that forgot its mapper: plain objects, a spread copy, nesting. */
  @Get('personal')
  personal(): Record<string, unknown> {
    const person = { name: 'Jane van Doe', email: 'jane.doe@example.com', phone: '+31 20 123 4567' };
    return {
      ...person,
      address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
      contacts: [{ customerEmail: 'max@example.org', billing_phone: '+44 20 7946 0958' }],
      owner: { lastName: 'Smith', username: 'jdoe', product: 'Laptop' },
    };
  }

  @Get('boom')
  boom(): never {
    throw new Error('relation "secret_table" does not exist at SELECT password FROM operators');
  }
}

/** Declares neither @Public() nor @RequireScopes(): the guard must refuse it to everyone. */
@Controller('probe-undeclared')
export class UndeclaredProbeController {
  @Get()
  open(): { reached: true } {
    return { reached: true };
  }
}

@Module({ controllers: [ProbeController, UndeclaredProbeController] })
export class ProbeModule {}
